"""The business: filings, the guided conversation, review, deadlines, documents. No UI, no SQL.

Where things are, by capability:
- `kinds/`      the businesses themselves, one module each (questions, materials, route, certificate, ledger);
- `filing/`     the vocabulary of a definition, the guided conversation, checking answers, the helpdesk;
- `review/`     the transition table, time limits and working days, screening, checklists, the officer's
                dossier, who sees personal data;
- `documents/`  which notices and certificates an act issues, drawing them, signing them;
- `uploads/`    accepting hostile files, parsing them in limited child processes, the pre-check (智能预审);
- `oversight/`  ledger, progress report, feedback and ratings, the administrator's changes;
- `identity/`   accounts, logins, sessions, units and who may act for them, abuse limits.
At this level, what every part shares: `cases` (the use cases of a case, draft to certificate), `ports`
(what the use cases need from storage), `errors`, `clock`, `config`, `regions`, `vocabulary`, `environment`,
`key_folder`. Outside systems (the police network's comparison service) are in the top-level `adapters/`."""

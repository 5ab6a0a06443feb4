"""Filing: what a business asks and how the assistant asks it.

`schema` is the vocabulary of a definition (the businesses themselves are in `flows/kinds/`); `guide` picks the
next question; `answers` and `identifiers` check what is typed; `roster_excel` takes a roster from Excel;
`corrections` tells what a resubmission changed; `helpdesk` and `helpdesk_facts` answer questions asked in
the applicant's own words."""

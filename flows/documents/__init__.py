"""Documents: the notices and certificates an act issues.

`issuing` decides which documents an act issues, in whose name, under which number and with what text;
`render` draws them as A4 PDFs (`fonts`: the embedded glyphs, `seal`: the organ's seal picture); `signing`
signs what a certificate states, for its QR code and the public verification page."""

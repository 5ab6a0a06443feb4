"""Uploads: files from outside, treated as hostile.

`checks` accepts a file by its content (type, size, pages, a strict PDF scan); `contained` runs every parse of
such a file in a limited child process; `viewing` holds the display-side tasks run there (page count, page
pictures, printed text); `precheck/` reads the materials and compares them with the answers (智能预审)."""

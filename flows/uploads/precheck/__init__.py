"""The pre-check (智能预审): reading uploaded materials and comparing them with the answers.

`reading` holds what a read found (plain data, stored as JSON); `fields` finds values in recognised text;
`pages` judges page images (blank, dark, blurred, small, red seal); `ocr` is the recognition engine;
`reader` reads one file; `findings` compares a reading with the answers; `limited` runs reads in a child
process under CPU, memory and wall-clock limits.
"""

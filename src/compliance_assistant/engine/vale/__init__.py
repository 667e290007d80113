"""Pure parts of Vale compatibility: scopes, sentence splitting, .vale.ini text, comment controls.

Nothing here reads files; the catalog package reads them and hands the text in.
"""

"""Text shared by every tab: the header, the language switch, run states."""

EN = {
    "common.language": "Language",
}
ES = {
    "common.language": "Idioma",
}

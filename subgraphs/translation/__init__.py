"""The translation subgraph (port 8007): the message templates every subgraph renders with (ICU MessageFormat,
versioned, per key and locale; rendered in-process by libs.i18n), the glossary of medical terms, the
translation memory and the machine-translation drafts (DeepL, off by default)."""

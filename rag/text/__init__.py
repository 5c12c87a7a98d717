"""Pure text analysis shared by ingest, retrieval and answers: no I/O."""

"""Letters: drafts that climb the review chain, numbering, PDF, signing, verification,
incoming mail and disposition, the archive."""

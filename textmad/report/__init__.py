"""The views: `textmad inspect`, `textmad report` and `textmad compare`, read only from run directories."""

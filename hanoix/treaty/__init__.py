"""Treaty status: participants, their treaty actions, entry into force, and whether the
Convention applies between two participants on a date. Pure: no database, web or network."""

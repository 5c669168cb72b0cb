//! Claims C5 and C6 of `phaseflow reproduce` (issue 7).

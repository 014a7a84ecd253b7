"""Pages of fellowships: public calls and circulation, applying, reviewing, staff work."""

"""Venues (halls, centres, libraries, pitches, playgrounds, parks), bookable spaces, opening hours,
bookings and courses — with double bookings made impossible by the database."""

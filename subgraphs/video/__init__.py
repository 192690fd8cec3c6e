"""The video subgraph: doctors, video consultations (booking, joining a LiveKit room, chat), recordings'
metadata and prescriptions."""

"""The lens server, its Streamlit pages and the aoai-lens command line."""

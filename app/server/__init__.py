"""The lens server: st.App assembly, HTTP routes and the doors in front of them."""

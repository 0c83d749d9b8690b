"""The demo park: University of Cambridge estate buildings standing in for an industrial park."""

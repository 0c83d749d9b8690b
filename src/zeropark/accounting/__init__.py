"""Energy and carbon accounts: energy by medium and scope, standard coal, CO2."""

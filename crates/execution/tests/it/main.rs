mod fixture {}

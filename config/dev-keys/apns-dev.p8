dev-insecure-apns-key: development only, production refuses it
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg7JSO/lPaIISns97k
ANMY53uKSe8iQWsBeg0Pc6fn59+hRANCAAThrO+qV1YtvUNCB/I19UG6jVg8O/qt
QKJmK8rh6gXcaf94dOVj7zhusQoDaWuGXc9nSYW+enlEmxklIW7+tkQg
-----END PRIVATE KEY-----

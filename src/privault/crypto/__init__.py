"""Cryptography: tokens and key hashing now; keyring, envelope encryption and blind indexes later."""

"""The rules of Umit. Services flush and raise ServiceError; the caller commits once."""

"""The guided tour of the transformer and the token explorer."""

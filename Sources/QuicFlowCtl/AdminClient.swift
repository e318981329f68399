/// Placeholder: the admin API client (being written).
public enum AdminClient {}

package dev.sse.core.http;

/**
 * The little of an HTTP request the rules read, as any runtime can give it. Implementations are views over the
 * runtime's request and are read on the thread judging the request only.
 */
public interface RequestView {

    /** @return the method, upper case as sent, e.g. {@code GET} */
    String method();

    /** @return the raw query string (still percent-encoded, without {@code ?}), or {@code null} when there is none */
    String rawQuery();

    /**
     * Looks a header up.
     *
     * @param name the header name, case-insensitive
     * @return the first value as the runtime decoded it (ISO-8859-1 characters for most), or {@code null}
     */
    String header(String name);

    /** @return the peer's address as text, e.g. {@code 127.0.0.1} */
    String remoteAddress();

    /** @return the scheme the request arrived by, {@code http} or {@code https} */
    String scheme();

    /** @return the host name the request was sent to (from {@code Host}, without the port) */
    String host();

    /** @return the port the request was sent to */
    int port();

    /**
     * The origin the request was sent to, {@code scheme://host[:port]}, the port left out when it is the scheme's
     * default. A DNS-rebinding page controls it through {@code Host}; the rules trust it only where that is harmless.
     *
     * @param request the request
     * @return the origin
     */
    static String ownOrigin(RequestView request) {
        String scheme = request.scheme();
        int port = request.port();
        boolean defaultPort = (port == 80 && "http".equals(scheme)) || (port == 443 && "https".equals(scheme));
        String self = scheme + "://" + request.host();
        return defaultPort ? self : self + ":" + port;
    }
}

package dev.sse.core.spi;

/**
 * Makes {@link Backplane}s from a URI, found through {@link java.util.ServiceLoader}, so that an adapter configured
 * by text (the servlet's {@code backplane} init-param, say {@code redis://host:6379}) can build one without
 * depending on the module that implements it. For store authors: register an implementation in
 * {@code META-INF/services/dev.sse.core.spi.BackplaneProvider} and with {@code provides} in {@code module-info}.
 *
 * <pre>{@code
 * Backplane plane = Backplanes.forUri(uri).create(uri, "events");
 * }</pre>
 *
 * <p>Implementations must be thread-safe and have a public no-argument constructor.
 */
public interface BackplaneProvider {

    /**
     * Tells whether this provider makes backplanes for a URI, usually by its scheme.
     *
     * @param uri the configured URI, never {@code null}
     * @return {@code true} if {@link #create} accepts it
     */
    boolean supports(java.net.URI uri);

    /**
     * Makes a backplane, not yet started: the hub it is given to starts it and closes it.
     *
     * @param uri a URI this provider {@link #supports}
     * @param hubName the name of the hub it serves, from which the provider may derive where it keeps the log
     * @return a new backplane
     * @throws IllegalArgumentException if the URI is malformed for this provider, naming what is wrong
     */
    Backplane create(java.net.URI uri, String hubName);

    /**
     * The URI schemes this provider supports, named by {@link Backplanes} when no provider supports a URI.
     *
     * @return the schemes, e.g. {@code redis}; empty by default
     */
    default java.util.Set<String> schemes() {
        return java.util.Set.of();
    }
}

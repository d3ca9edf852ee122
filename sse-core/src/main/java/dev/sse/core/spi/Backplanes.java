package dev.sse.core.spi;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * Finds the {@link BackplaneProvider} for a URI, by {@link ServiceLoader}, with one class-loader rule for every
 * adapter: the given loader, else the calling thread's context class loader (a web application's in a servlet
 * container, the launcher's in a Spring Boot jar), else sse-core's own. Stateless; any thread.
 *
 * <pre>{@code
 * Backplane plane = Backplanes.forUri(URI.create("redis://localhost:6379")).create(uri, "events");
 * }</pre>
 */
public final class Backplanes {

    private Backplanes() {
    }

    /**
     * The first provider on the class or module path that supports the URI.
     *
     * @param uri the backplane URI, e.g. {@code redis://host:6379}
     * @return the provider
     * @throws IllegalArgumentException naming the URI's scheme and the schemes the providers found declare
     */
    public static BackplaneProvider forUri(URI uri) {
        return forUri(uri, null);
    }

    /**
     * The first provider the loader finds that supports the URI.
     *
     * @param uri the backplane URI
     * @param loader where to look, or {@code null} for the rule in the class comment
     * @return the provider
     * @throws IllegalArgumentException naming the URI's scheme and the schemes the providers found declare
     */
    public static BackplaneProvider forUri(URI uri, ClassLoader loader) {
        Objects.requireNonNull(uri, "uri");
        TreeSet<String> known = new TreeSet<>();
        List<String> undeclared = new ArrayList<>();
        for (BackplaneProvider provider : ServiceLoader.load(BackplaneProvider.class, loader(loader))) {
            if (provider.supports(uri)) {
                return provider;
            }
            if (provider.schemes().isEmpty()) {
                undeclared.add(provider.getClass().getName());
            }
            known.addAll(provider.schemes());
        }
        throw new IllegalArgumentException("no BackplaneProvider supports the scheme \"" + uri.getScheme()
                + "\" (schemes known: " + (known.isEmpty() ? "none" : String.join(", ", known))
                + (undeclared.isEmpty() ? "" : "; providers that declare none: " + undeclared)
                + "); add the module that provides it, e.g. sse-redis for redis://");
    }

    /**
     * The provider for a URI, if there is one.
     *
     * @param uri the backplane URI
     * @param loader where to look, or {@code null} for the rule in the class comment
     * @return the provider, or empty
     */
    public static Optional<BackplaneProvider> find(URI uri, ClassLoader loader) {
        Objects.requireNonNull(uri, "uri");
        for (BackplaneProvider provider : ServiceLoader.load(BackplaneProvider.class, loader(loader))) {
            if (provider.supports(uri)) {
                return Optional.of(provider);
            }
        }
        return Optional.empty();
    }

    private static ClassLoader loader(ClassLoader given) {
        if (given != null) {
            return given;
        }
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : Backplanes.class.getClassLoader();
    }
}

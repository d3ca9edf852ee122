package dev.sse.tck;

import java.util.function.Function;

/** The application's check of a request before any stream opens; see {@link TckApp#requestCheck()}. */
@FunctionalInterface
public interface RequestCheck {

    /**
     * Decides for one request; a refused one gets {@code 401} and no stream.
     *
     * @param header the request's headers: a name, in any case, to its first value or {@code null}
     * @return {@code true} to let the request through
     */
    boolean allows(Function<String, String> header);
}

package dev.sse.tck;

import dev.sse.core.SseStream;
import java.util.Map;

/** What the kit does with a per-request stream on {@value TckApp#STREAMS_PATH}; see {@link TckApp#streams()}. */
@FunctionalInterface
public interface StreamHandler {

    /**
     * Takes over a stream the adapter just opened; returns at once, the kit sends from its own threads.
     *
     * @param stream the open stream
     * @param query the request's query parameters, decoded, the first value of each
     */
    void handle(SseStream stream, Map<String, String> query);
}

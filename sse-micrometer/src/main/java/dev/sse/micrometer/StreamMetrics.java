package dev.sse.micrometer;

import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.HubListener;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Micrometer meters for a web application's per-request streams ({@code SseStream}s), read from the hub that hosts
 * them. Usable without Spring:
 *
 * <pre>{@code
 * new StreamMetrics(SseStreams.host(servletContext)).bindTo(registry);     // sse-servlet's host
 * }</pre>
 *
 * <p>No meter is tagged per request or per client: an application has one family of {@code sse.streams.*} meters,
 * beside the {@code sse.connections.*} ones {@link HubMetrics} keeps per hub.
 * <table>
 * <caption>Meters</caption>
 * <tr><th>Name</th><th>Type</th><th>Tags</th><th>What it counts</th></tr>
 * <tr><td>{@code sse.streams.active}</td><td>gauge</td><td></td><td>Streams open now ({@link Hub#channelCount()})</td></tr>
 * <tr><td>{@code sse.streams.opened}</td><td>counter</td><td></td><td>Streams started since binding</td></tr>
 * <tr><td>{@code sse.streams.closed}</td><td>counter</td><td>{@code reason}: {@code completed}, {@code failed},
 *     {@code client_gone}, {@code slow_client}, {@code write_timeout}, {@code closed_by_app}, {@code hub_closed}
 *     (the server stopped), {@code error}, and the hub's other {@link CloseReason}s</td>
 *     <td>Streams ended since binding, by {@link CloseReason}</td></tr>
 * <tr><td>{@code sse.streams.duration}</td><td>timer</td><td></td><td>How long each stream ended since binding was
 *     open</td></tr>
 * </table>
 *
 * <p>The counters and the timer come from a {@link HubListener} added by {@link #bindTo}, so they count from then on.
 *
 * <h2>Threads</h2>
 * {@link #bindTo} and {@link #close} may be called from any thread. The listener's callbacks run on the threads that
 * start and end streams and only increment meters, which are thread-safe.
 */
public final class StreamMetrics implements MeterBinder, AutoCloseable {

    private final Hub host;
    private final Tags tags;
    private final Clock clock;
    private final List<HubListener> bound = new CopyOnWriteArrayList<>();

    /**
     * Meters for the streams a host hub holds.
     *
     * @param host the hub hosting the per-request streams (sse-servlet's {@code SseStreams.host(context)})
     */
    public StreamMetrics(Hub host) {
        this(host, Tags.empty());
    }

    /**
     * Meters for the streams a host hub holds, with tags of the application's added to every meter.
     *
     * @param host the hub hosting the per-request streams
     * @param tags more tags, the same for every meter (never per request)
     */
    public StreamMetrics(Hub host, Iterable<Tag> tags) {
        this(host, tags, Clock.systemUTC());
    }

    StreamMetrics(Hub host, Iterable<Tag> tags, Clock clock) {
        this.host = Objects.requireNonNull(host, "host");
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Registers the meters and starts counting streams.
     *
     * @param registry the registry
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        ChannelMeters streams = new ChannelMeters(registry, host, "sse.streams", "streams", "Per-request SSE streams",
                tags, clock);
        HubListener listener = new HubListener() {
            @Override
            public void onOpen(EventChannel channel) {
                streams.opened();
            }

            @Override
            public void onClose(EventChannel channel, CloseReason reason) {
                streams.closed(channel, reason);
            }
        };
        bound.add(listener);
        host.addListener(listener);
    }

    /** Stops counting; meters already registered stay in their registries. */
    @Override
    public void close() {
        for (HubListener listener : bound) {
            host.removeListener(listener);
            bound.remove(listener);
        }
    }
}

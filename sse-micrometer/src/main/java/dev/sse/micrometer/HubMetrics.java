package dev.sse.micrometer;

import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.HubListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters for one {@link Hub}. Usable without Spring:
 *
 * <pre>{@code
 * new HubMetrics(hub, "prices").bindTo(registry);
 * }</pre>
 *
 * <p>Every meter is tagged {@code hub=<name>}; no meter is ever tagged per client.
 * <table>
 * <caption>Meters</caption>
 * <tr><th>Name</th><th>Type</th><th>More tags</th><th>What it counts</th></tr>
 * <tr><td>{@code sse.connections.active}</td><td>gauge</td><td></td><td>Channels open now
 *     ({@link Hub#channelCount()})</td></tr>
 * <tr><td>{@code sse.connections.opened}</td><td>counter</td><td></td><td>Channels opened since binding</td></tr>
 * <tr><td>{@code sse.connections.closed}</td><td>counter</td><td>{@code reason}: {@code client_gone},
 *     {@code slow_client}, {@code closed_by_app}, {@code hub_closed}, {@code max_age}, {@code write_timeout},
 *     {@code error} (and, on a host of per-request streams, {@code completed}, {@code failed})</td>
 *     <td>Channels closed since binding, by {@link CloseReason}</td></tr>
 * <tr><td>{@code sse.connections.duration}</td><td>timer</td><td></td><td>How long each channel closed since binding
 *     was open</td></tr>
 * <tr><td>{@code sse.events.published}</td><td>function counter</td><td></td><td>Events passed to
 *     {@code broadcast} since the hub started</td></tr>
 * <tr><td>{@code sse.events.sent}</td><td>function counter</td><td></td><td>Frames handed to clients' connections
 *     since the hub started (each broadcast once per recipient, replays and keep-alive comments included)</td></tr>
 * <tr><td>{@code sse.events.dropped}</td><td>function counter</td><td></td><td>Frames discarded by the slow-client
 *     policy since the hub started</td></tr>
 * <tr><td>{@code sse.bytes.sent}</td><td>function counter</td><td></td><td>Bytes handed to clients' connections
 *     since the hub started</td></tr>
 * <tr><td>{@code sse.replay.requests}</td><td>counter</td><td>{@code result}: {@code hit} or {@code gap}</td>
 *     <td>Channels opened with a {@code Last-Event-ID} since binding: {@code hit} when the history could serve
 *     everything after it, {@code gap} when it could not</td></tr>
 * </table>
 *
 * <p>The per-request streams of a web application live on a host hub of their own: meter it with
 * {@link StreamMetrics}, whose {@code sse.streams.*} meters have the shapes of the connection meters here.
 *
 * <p>The counters of connections and replays come from a {@link HubListener} added by {@link #bindTo}, so they count
 * from then on; the function counters read {@link Hub#stats()} when the registry polls them.
 *
 * <h2>Threads</h2>
 * {@link #bindTo} and {@link #close} may be called from any thread. The listener's callbacks run on the threads the
 * hub calls listeners on and only increment meters, which are thread-safe.
 */
public final class HubMetrics implements MeterBinder, AutoCloseable {

    private final Hub hub;
    private final Tags tags;
    private final Clock clock;
    private final List<HubListener> bound = new CopyOnWriteArrayList<>();

    /**
     * Meters for a hub.
     *
     * @param hub the hub
     * @param name the value of the {@code hub} tag, e.g. the stream's name
     */
    public HubMetrics(Hub hub, String name) {
        this(hub, name, Tags.empty());
    }

    /**
     * Meters for a hub, with tags of the application's added to every meter.
     *
     * @param hub the hub
     * @param name the value of the {@code hub} tag
     * @param tags more tags, the same for every meter (never per client)
     */
    public HubMetrics(Hub hub, String name, Iterable<Tag> tags) {
        this(hub, name, tags, Clock.systemUTC());
    }

    HubMetrics(Hub hub, String name, Iterable<Tag> tags, Clock clock) {
        this.hub = Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags")).and("hub", name);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Registers the meters and starts counting connections and replays.
     *
     * @param registry the registry
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        functionCounter(registry, "sse.events.published", h -> h.stats().eventsBroadcast(), "events",
                "Events broadcast to the hub");
        functionCounter(registry, "sse.events.sent", h -> h.stats().framesSent(), "events",
                "Frames handed to client connections, keep-alives and replays included");
        functionCounter(registry, "sse.events.dropped", h -> h.stats().dropped(), "events",
                "Frames discarded by the slow-client policy");
        functionCounter(registry, "sse.bytes.sent", h -> h.stats().bytesSent(), "bytes",
                "Bytes handed to client connections");

        ChannelMeters channels = new ChannelMeters(registry, hub, "sse.connections", "connections",
                "SSE connections", tags, clock);
        Counter hit = replayCounter(registry, "hit");
        Counter gap = replayCounter(registry, "gap");

        HubListener listener = new HubListener() {
            @Override
            public void onOpen(EventChannel channel) {
                channels.opened();
                if (channel.resumedFrom() != null) {
                    (channel.resumeGap() ? gap : hit).increment();
                }
            }

            @Override
            public void onClose(EventChannel channel, CloseReason reason) {
                channels.closed(channel, reason);
            }
        };
        bound.add(listener);
        hub.addListener(listener);
    }

    /** Stops counting connections and replays; meters already registered stay in their registries. */
    @Override
    public void close() {
        for (HubListener listener : bound) {
            hub.removeListener(listener);
            bound.remove(listener);
        }
    }

    private void functionCounter(MeterRegistry registry, String name, ToDoubleFunction<Hub> value, String unit,
                                 String description) {
        FunctionCounter.builder(name, hub, value).tags(tags).baseUnit(unit).description(description)
                .register(registry);
    }

    private Counter replayCounter(MeterRegistry registry, String result) {
        return Counter.builder("sse.replay.requests").tags(tags).tag("result", result)
                .description("Resumes with a Last-Event-ID: hit when the history served all that followed, gap if not")
                .register(registry);
    }
}

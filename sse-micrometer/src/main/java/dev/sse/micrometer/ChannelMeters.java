package dev.sse.micrometer;

import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The meters of channels' lives that {@link HubMetrics} ({@code sse.connections.*}) and {@link StreamMetrics}
 * ({@code sse.streams.*}) both keep: open now, opened, closed by reason, how long they were open. One place, so both
 * families have the same shapes, units and reason tags.
 *
 * <p>Registered on the binder's thread; {@link #opened()} and {@link #closed} run on the threads the hub calls its
 * listeners on and only touch thread-safe meters.
 */
final class ChannelMeters {

    private final Counter opened;
    private final Map<CloseReason, Counter> closed = new EnumMap<>(CloseReason.class);
    private final Timer duration;
    private final Clock clock;

    /**
     * @param prefix {@code sse.connections} or {@code sse.streams}
     * @param unit the base unit of the counts, e.g. {@code connections}
     * @param what how the descriptions name the channels, e.g. {@code SSE connections}
     */
    ChannelMeters(MeterRegistry registry, Hub hub, String prefix, String unit, String what, Tags tags, Clock clock) {
        this.clock = clock;
        Gauge.builder(prefix + ".active", hub, Hub::channelCount)
                .tags(tags).baseUnit(unit).description(what + " open now").register(registry);
        opened = Counter.builder(prefix + ".opened").tags(tags).baseUnit(unit)
                .description(what + " opened").register(registry);
        for (CloseReason reason : CloseReason.values()) {
            closed.put(reason, Counter.builder(prefix + ".closed").tags(tags)
                    .tag("reason", reason.name().toLowerCase(Locale.ROOT)).baseUnit(unit)
                    .description(what + " closed, by reason").register(registry));
        }
        duration = Timer.builder(prefix + ".duration").tags(tags)
                .description("How long " + what + " stayed open").register(registry);
    }

    void opened() {
        opened.increment();
    }

    void closed(EventChannel channel, CloseReason reason) {
        closed.get(reason).increment();
        Duration open = Duration.between(channel.openedAt(), clock.instant());
        duration.record(open.isNegative() ? Duration.ZERO : open);
    }
}

package dev.sse.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.ChannelOptions;
import dev.sse.core.CloseReason;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.core.SseStream;
import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StreamMetricsTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final Hub host = Hub.create();

    @AfterEach
    void closeHost() {
        host.close();
    }

    @Test
    void streamMetersHaveNoPerRequestTagAndSitBesideTheConnectionMeters() {
        new StreamMetrics(host).bindTo(registry);
        open();
        open();

        Set<String> names = new HashSet<>();
        for (Meter meter : registry.getMeters()) {
            names.add(meter.getId().getName());
            for (Tag tag : meter.getId().getTags()) {
                assertThat(tag.getKey()).as(meter.getId().toString()).isEqualTo("reason");
            }
        }
        assertThat(names).containsExactlyInAnyOrder("sse.streams.active", "sse.streams.opened", "sse.streams.closed",
                "sse.streams.duration");
        assertThat(registry.get("sse.streams.closed").counters()).hasSize(CloseReason.values().length);
    }

    @Test
    void activeStreamsFollowTheHostAndOpensAreCounted() {
        new StreamMetrics(host).bindTo(registry);
        SseStream a = open();
        open();
        assertThat(registry.get("sse.streams.active").gauge().value()).isEqualTo(2.0);
        a.close();
        assertThat(registry.get("sse.streams.active").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get("sse.streams.opened").counter().count()).isEqualTo(2.0);
    }

    @Test
    void endsAreCountedByLowerCaseReasonCompletedFailedAndClientGoneApart() {
        new StreamMetrics(host).bindTo(registry);
        open().complete(SseEvent.data("[DONE]"));
        open().fail("the model is overloaded");
        open().fail("again");
        open().close();
        host.close();

        assertThat(closed("completed")).isEqualTo(1.0);
        assertThat(closed("failed")).isEqualTo(2.0);
        assertThat(closed("closed_by_app")).isEqualTo(1.0);
        assertThat(closed("client_gone")).isZero();
        assertThat(registry.get("sse.streams.active").gauge().value()).isZero();
    }

    @Test
    void aStreamsDurationIsRecordedWhenItEnds() {
        MutableClock clock = new MutableClock();
        new StreamMetrics(host, Tags.empty(), clock).bindTo(registry);
        SseStream stream = open();
        clock.now = clock.now.plusSeconds(7);
        stream.complete();

        var timer = registry.get("sse.streams.duration").timer();
        assertThat(timer.count()).isEqualTo(1);
        assertThat(timer.totalTime(TimeUnit.SECONDS)).isBetween(6.0, 8.0);
    }

    @Test
    void extraTagsGoOnEveryStreamMeter() {
        new StreamMetrics(host, Tags.of("region", "eu")).bindTo(registry);
        assertThat(registry.getMeters()).isNotEmpty().allSatisfy(
                meter -> assertThat(meter.getId().getTag("region")).as(meter.getId().toString()).isEqualTo("eu"));
    }

    @Test
    void closeStopsCountingButKeepsTheMeters() {
        StreamMetrics metrics = new StreamMetrics(host);
        metrics.bindTo(registry);
        open();
        metrics.close();
        open();

        assertThat(registry.get("sse.streams.opened").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("sse.streams.active").gauge().value()).isEqualTo(2.0);
    }

    private double closed(String reason) {
        return registry.get("sse.streams.closed").tag("reason", reason).counter().count();
    }

    /** A stream on a transport that writes every frame at once, as a socket with room would. */
    private SseStream open() {
        return SseStream.open(host, new Transport() {
            private FrameSource frames;

            @Override
            public void attach(FrameSource frames) {
                this.frames = frames;
            }

            @Override
            public void framesAvailable() {
                for (SseFrame f = frames.poll(); f != null; f = frames.poll()) {
                    assertThat(f.length()).isPositive();
                }
            }

            @Override
            public void close() {
                // No socket to end.
            }
        }, ChannelOptions.builder().build());
    }

    private static final class MutableClock extends Clock {
        volatile Instant now = Instant.now();

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}

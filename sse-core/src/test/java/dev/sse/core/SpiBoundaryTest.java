package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The spi sees a channel only through {@link FrameSource}: it depends on nothing in {@code dev.sse.core} but values,
 * so no cycle runs between the adapters' contract and the hub's classes; and an adapter that needs the channel gets it
 * from {@code Hub.open}'s callback before anything can close it.
 */
class SpiBoundaryTest {

    private static final Set<String> VALUES = Set.of("CloseReason", "SseEvent", "SseFrame");
    private static final Pattern CORE_TYPE = Pattern.compile("\\bdev\\.sse\\.core\\.([A-Z]\\w*)");

    @Test
    void spiNamesNoCoreTypeButValues() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("src/main/java/dev/sse/core/spi"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                Matcher m = CORE_TYPE.matcher(Files.readString(f));
                while (m.find()) {
                    if (!VALUES.contains(m.group(1))) {
                        found.add(f.getFileName() + ": " + m.group());
                    }
                }
            }
        }
        assertThat(found).as("dev.sse.core types named by the spi, other than values").isEmpty();
    }

    @Test
    void aTransportClosesItsChannelThroughItsSourceWithTheReasonItGives() {
        Hub hub = Hub.builder().keepAlive(java.time.Duration.ZERO).build();
        try {
            List<CloseReason> reasons = new java.util.concurrent.CopyOnWriteArrayList<>();
            hub.addListener(new HubListener() {
                @Override
                public void onClose(EventChannel channel, CloseReason reason) {
                    reasons.add(reason);
                }
            });
            RecordingTransport transport = new RecordingTransport();
            EventChannel channel = transport.openOn(hub);
            FrameSource source = transport.source();
            assertThat(source.isOpen()).isTrue();
            assertThat(source.toString()).isEqualTo(channel.toString());

            source.close(CloseReason.WRITE_TIMEOUT);

            assertThat(channel.isOpen()).isFalse();
            assertThat(source.isOpen()).isFalse();
            assertThat(transport.closeCalls()).isEqualTo(1);
            assertThat(reasons).containsExactly(CloseReason.WRITE_TIMEOUT);
        } finally {
            hub.close();
        }
    }

    @Test
    void openHandsTheChannelToItsCallbackBeforeTheTransportIsAttached() {
        Hub hub = Hub.create();
        try {
            AtomicReference<EventChannel> made = new AtomicReference<>();
            AtomicReference<EventChannel> seenAtAttach = new AtomicReference<>();
            Transport transport = new Transport() {
                @Override
                public void attach(FrameSource frames) {
                    seenAtAttach.set(made.get());
                }

                @Override
                public void framesAvailable() {
                }

                @Override
                public void close() {
                }
            };

            EventChannel opened = hub.open(transport, ChannelOptions.defaults(), made::set);

            assertThat(made.get()).isSameAs(opened);
            assertThat(seenAtAttach.get()).as("the callback ran before attach").isSameAs(opened);
        } finally {
            hub.close();
        }
    }
}

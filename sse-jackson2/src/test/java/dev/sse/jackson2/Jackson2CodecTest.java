package dev.sse.jackson2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.DataCodec;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.core.SseParser;
import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Typed event data through Jackson, on the wire as a browser reads it. */
class Jackson2CodecTest {

    record Price(String currency, double value) {
    }

    /** A value Jackson cannot write: its only property fails. */
    static final class Unwritable {
        public String getValue() {
            throw new IllegalStateException("no value");
        }
    }

    private final DataCodec json = Jackson2Codec.create();

    /** What a browser's EventSource hands the page for these bytes. */
    private static List<String> dataAsAClientReadsIt(byte[] wire) {
        List<String> data = new ArrayList<>();
        SseParser parser = new SseParser((type, d, id) -> data.add(d));
        parser.feed(wire, 0, wire.length);
        return data;
    }

    @Test
    void aValueTravelsAsJsonDataAndDecodesToAnEqualValue() {
        SseEvent event = json.event("price", new Price("EUR", 1.0842));

        assertThat(event.event()).isEqualTo("price");
        assertThat(event.data()).isEqualTo("{\"currency\":\"EUR\",\"value\":1.0842}");
        List<String> read = dataAsAClientReadsIt(SseFrame.of(event).toByteArray());
        assertThat(json.decode(read.get(0), Price.class)).isEqualTo(new Price("EUR", 1.0842));
    }

    @Test
    void prettyPrintedJsonSurvivesTheLineSplittingOfTheWireFormat() {
        DataCodec pretty = Jackson2Codec.of(new com.fasterxml.jackson.databind.ObjectMapper().enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT));
        SseEvent event = pretty.event(List.of(new Price("EUR", 1.0), new Price("USD", 2.5)));
        assertThat(event.data()).contains("\n");

        List<String> read = dataAsAClientReadsIt(SseFrame.of(event).toByteArray());

        assertThat(read.get(0)).isEqualTo(event.data());
        Type listOfPrices = new com.fasterxml.jackson.core.type.TypeReference<List<Price>>() { }.getType();
        List<Price> prices = pretty.decode(read.get(0), listOfPrices);
        assertThat(prices).containsExactly(new Price("EUR", 1.0), new Price("USD", 2.5));
    }

    @Test
    void aValueThatCannotBeWrittenFailsNamingItsType() {
        assertThatThrownBy(() -> json.encode(new Unwritable()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Unwritable.class.getName()).hasMessageContaining("cannot be written as JSON");
    }

    @Test
    void dataThatIsNotOfTheTypeFailsNamingTheType() {
        assertThatThrownBy(() -> json.decode("{\"currency\":", Price.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Price");
        assertThatThrownBy(() -> json.decode("[1,2]", Price.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Price");
    }

    @Test
    void aBroadcastIsEncodedOnceHoweverManyListen() {
        AtomicInteger encodes = new AtomicInteger();
        DataCodec counting = new DataCodec() {
            @Override
            public String encode(Object value) {
                encodes.incrementAndGet();
                return json.encode(value);
            }

            @Override
            public <T> T decode(String data, Type type) {
                return json.decode(data, type);
            }
        };
        try (Hub hub = Hub.builder().keepAlive(Duration.ZERO).build()) {
            List<Listener> listeners = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Listener l = new Listener();
                hub.open(l);
                listeners.add(l);
            }

            hub.broadcast(counting.event("price", new Price("EUR", 1.0842)));

            assertThat(encodes).hasValue(1);
            for (Listener l : listeners) {
                assertThat(l.frames).hasSize(1);
                assertThat(l.frames.get(0)).isSameAs(listeners.get(0).frames.get(0));
                assertThat(new String(l.frames.get(0).toByteArray(), StandardCharsets.UTF_8))
                        .endsWith("event: price\ndata: {\"currency\":\"EUR\",\"value\":1.0842}\n\n");
            }
        }
    }

    /** Drains on every wake-up, as a fast client. */
    static final class Listener implements Transport {
        final List<SseFrame> frames = new ArrayList<>();
        private FrameSource source;

        @Override
        public void attach(FrameSource frames) {
            this.source = frames;
        }

        @Override
        public synchronized void framesAvailable() {
            SseFrame f;
            while ((f = source.poll()) != null) {
                frames.add(f);
            }
        }

        @Override
        public void close() {
        }
    }
}

package dev.sse.bench;

import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import jakarta.inject.Provider;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.MessageBodyWriter;
import jakarta.ws.rs.sse.OutboundSseEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Constructor;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.glassfish.jersey.media.sse.OutboundEvent;
import org.glassfish.jersey.media.sse.SseFeature;
import org.glassfish.jersey.message.MessageBodyWorkers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * One broadcast of one event to {@link #recipients} connections, serialised the way each library does it; run by
 * {@link EncoderJmh}. Every connection's stream is a sink that hands each byte and array to a {@link Blackhole},
 * so what is measured is encoding and the writes into the stream, not a socket.
 *
 * <ul>
 *   <li>{@link #ours}: the event built and encoded once ({@link SseFrame#of}), then {@link SseFrame#writeTo} per
 *       recipient, as the hub does.</li>
 *   <li>{@link #spring}: what {@code SseEmitter.send(SseEventBuilder)} does per emitter, emulated: the builder's
 *       {@code build()} (a broadcast loop cannot build once and share: {@code build()} appends the final blank line
 *       to the builder, so a second call corrupts it) and each {@code DataWithMediaType} part written as
 *       {@code StringHttpMessageConverter} writes a {@code String}, {@code getBytes(UTF_8)} into the stream. Spring's
 *       converter lookup, header checks and per-send flush are left out, so this is a lower bound on Spring's
 *       cost.</li>
 *   <li>{@link #jersey}: the {@code OutboundEvent} built once, as {@code SseBroadcaster.broadcast} takes it, then
 *       Jersey's own package-private {@code OutboundEventWriter} per recipient (constructed by reflection), with
 *       Jersey's own {@code StringMessageProvider} for the data, then the {@code "\n"} chunk delimiter that
 *       {@code EventOutput} writes after each event. Its {@code MessageBodyWorkers} is a stub that
 *       returns that provider straight away; Jersey's writer lookup, interceptor chain and chunk framing are left
 *       out, so this too is a lower bound.</li>
 * </ul>
 *
 * <p>JMH state, one instance per benchmark thread; set up once per trial.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EncoderBenchmark {

    /** Names the data as the report shows it. */
    static final String SHORT = "short";
    static final String MULTI_LINE_4K = "4KiB-multiline";

    /** The id every event carries. */
    private static final String ID = "1042";
    /** The type every event carries. */
    private static final String TYPE = "update";
    /** {@code EventOutput}'s chunk delimiter: Jersey's event writer leaves the blank line that ends an event to it. */
    private static final byte[] JERSEY_EVENT_DELIMITER = {'\n'};

    /** Which data the event carries: {@value #SHORT} (a small JSON object) or 64 lines making 4 KiB. */
    @Param({SHORT, MULTI_LINE_4K})
    public String data;

    /** How many connections receive the broadcast. */
    @Param({"1", "10000"})
    public int recipients;

    private String text;
    private OutputStream sink;
    private MessageBodyWriter<OutboundSseEvent> jerseyWriter;
    private final Annotation[] noAnnotations = new Annotation[0];
    private final MultivaluedMap<String, Object> headers = new MultivaluedHashMap<>();

    /**
     * Prepares the data, the sink and Jersey's writer.
     *
     * @param bh JMH's blackhole, which the sink feeds
     * @throws ReflectiveOperationException if Jersey's writer classes are not where 4.0.x keeps them
     */
    @Setup
    public void setUp(Blackhole bh) throws ReflectiveOperationException {
        prepare(new BlackholeStream(bh));
    }

    /**
     * Prepares the benchmark to write to the given stream; tests use it to read what each library writes.
     *
     * @param out every recipient's stream
     * @throws ReflectiveOperationException if Jersey's writer classes are not where 4.0.x keeps them
     */
    void prepare(OutputStream out) throws ReflectiveOperationException {
        text = text(data);
        sink = out;
        jerseyWriter = jerseyWriter();
    }

    /**
     * The data of the given kind.
     *
     * @param kind {@value #SHORT} or {@value #MULTI_LINE_4K}
     * @return the data
     */
    static String text(String kind) {
        switch (kind) {
            case SHORT:
                return "{\"seq\":1042,\"price\":101.25}";
            case MULTI_LINE_4K: {
                // 64 lines of 63 characters, LF-separated: 4,095 characters.
                StringBuilder sb = new StringBuilder(4096);
                for (int i = 0; i < 64; i++) {
                    if (i > 0) {
                        sb.append('\n');
                    }
                    for (int j = 0; j < 63; j++) {
                        sb.append((char) ('a' + (i + j) % 26));
                    }
                }
                return sb.toString();
            }
            default:
                throw new IllegalArgumentException("data must be " + SHORT + " or " + MULTI_LINE_4K + " (was " + kind
                        + ")");
        }
    }

    /**
     * Ours: encode once, write the same bytes to every recipient.
     *
     * @throws IOException never; the sink does not throw
     */
    @Benchmark
    public void ours() throws IOException {
        SseFrame frame = SseFrame.of(SseEvent.builder().id(ID).event(TYPE).data(text).build());
        for (int i = 0; i < recipients; i++) {
            frame.writeTo(sink);
        }
    }

    /**
     * Spring {@code SseEmitter}: build and write the parts per recipient.
     *
     * @throws IOException never; the sink does not throw
     */
    @Benchmark
    public void spring() throws IOException {
        for (int i = 0; i < recipients; i++) {
            Set<ResponseBodyEmitter.DataWithMediaType> parts =
                    SseEmitter.event().id(ID).name(TYPE).data(text).build();
            for (ResponseBodyEmitter.DataWithMediaType part : parts) {
                byte[] bytes = ((String) part.getData()).getBytes(StandardCharsets.UTF_8);
                sink.write(bytes, 0, bytes.length);
            }
        }
    }

    /**
     * Jersey {@code SseBroadcaster}: build once, run Jersey's event writer per recipient.
     *
     * @throws IOException never; the sink does not throw
     */
    @Benchmark
    public void jersey() throws IOException {
        OutboundSseEvent event = new OutboundEvent.Builder().id(ID).name(TYPE).mediaType(MediaType.TEXT_PLAIN_TYPE)
                .data(String.class, text).build();
        for (int i = 0; i < recipients; i++) {
            jerseyWriter.writeTo(event, OutboundEvent.class, OutboundEvent.class, noAnnotations,
                    SseFeature.SERVER_SENT_EVENTS_TYPE, headers, sink);
            sink.write(JERSEY_EVENT_DELIMITER, 0, 1);
        }
    }

    /**
     * Jersey's {@code OutboundEventWriter}, which {@code EventOutput} uses for every event, wired to Jersey's own
     * {@code String} writer. Both classes are package-private, hence reflection; it runs once per trial.
     */
    @SuppressWarnings("unchecked")
    static MessageBodyWriter<OutboundSseEvent> jerseyWriter() throws ReflectiveOperationException {
        Constructor<?> stringWriter = Class.forName("org.glassfish.jersey.message.internal.StringMessageProvider")
                .getDeclaredConstructor();
        stringWriter.setAccessible(true);
        Object strings = stringWriter.newInstance();
        MessageBodyWorkers workers = (MessageBodyWorkers) Proxy.newProxyInstance(
                EncoderBenchmark.class.getClassLoader(), new Class<?>[] {MessageBodyWorkers.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getMessageBodyWriter") && args[0] == String.class) {
                        return strings;
                    }
                    throw new UnsupportedOperationException("stub MessageBodyWorkers: " + method);
                });
        Provider<MessageBodyWorkers> provider = () -> workers;
        Constructor<?> eventWriter = Class.forName("org.glassfish.jersey.media.sse.OutboundEventWriter")
                .getDeclaredConstructor(Provider.class);
        eventWriter.setAccessible(true);
        return (MessageBodyWriter<OutboundSseEvent>) eventWriter.newInstance(provider);
    }

    /**
     * A connection's stream that keeps nothing: every byte and array goes to the blackhole, so no write can be
     * optimised away and no array allocated for a write can be scalar-replaced.
     */
    static final class BlackholeStream extends OutputStream {
        private final Blackhole bh;

        BlackholeStream(Blackhole bh) {
            this.bh = bh;
        }

        @Override
        public void write(int b) {
            bh.consume(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            bh.consume(b);
            bh.consume(len);
        }
    }
}

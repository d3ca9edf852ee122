package dev.sse.servlet;

import dev.sse.core.SseFrame;
import jakarta.servlet.ServletOutputStream;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one stream's frames to its response, past the container's aggregation buffer where the stream allows it,
 * and decides when a flush is needed. Called by the stream's drain loop only.
 *
 * <p>Why: a {@code write(byte[])} smaller than the container's aggregation size is copied into a per-response
 * buffer; Jetty 12 ee10's {@code HttpOutput} takes that buffer (32 KiB, the configured output buffer size) from its
 * pool on the first such write and keeps it until the response ends, which for a stream is its whole life
 * ({@code JettyStreamMemoryTest} measures 36.9 KB per stream that way against 6.5 KB without). The Servlet 6.1
 * {@code ServletOutputStream.write(ByteBuffer)}, which Jetty's {@code HttpOutput} already has, writes without
 * aggregating, so no buffer is held between events. This module compiles against Servlet 6.0, so the method is
 * resolved once per output class into a {@link MethodHandle} ({@link Paths}); streams without it use
 * {@code write(byte[])} and a flush.
 */
final class FrameWriter {

    private final ServletOutputStream out;
    private final MethodHandle direct;
    private boolean needsFlush = true;

    FrameWriter(ServletOutputStream out, Paths paths) {
        this.out = out;
        this.direct = paths.direct(out);
    }

    void write(SseFrame frame) throws IOException {
        if (direct == null) {
            frame.writeTo(out);
            needsFlush = true;
        } else {
            invoke(frame.asReadOnlyBuffer());
        }
    }

    void write(byte[] bytes, int length) throws IOException {
        if (direct == null) {
            out.write(bytes, 0, length);
            needsFlush = true;
        } else {
            invoke(ByteBuffer.wrap(bytes, 0, length));
        }
    }

    /** @return true if a flush was needed and is now under way (the caller checks {@code isReady()} again) */
    boolean flushIfNeeded() throws IOException {
        if (!needsFlush) {
            return false;
        }
        needsFlush = false;
        out.flush();
        return true;
    }

    private void invoke(ByteBuffer buffer) throws IOException {
        try {
            direct.invokeExact(out, buffer);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
        // Unaggregated: it went out, and carried out whatever was pending (the headers) with it.
        needsFlush = false;
    }

    /** The write path per output class, resolved once for a servlet. */
    static final class Paths {
        private static final Logger LOG = LoggerFactory.getLogger(FrameWriter.class);
        private final boolean bypass;
        private final Map<Class<?>, Optional<MethodHandle>> byClass = new ConcurrentHashMap<>();

        Paths(boolean bypass) {
            this.bypass = bypass;
        }

        MethodHandle direct(ServletOutputStream out) {
            if (!bypass) {
                return null;
            }
            return byClass.computeIfAbsent(out.getClass(), Paths::resolve).orElse(null);
        }

        private static Optional<MethodHandle> resolve(Class<?> type) {
            // Only Jetty's is known to bypass its buffer; Tomcat's copies into its own buffer either way.
            if (!type.getName().startsWith("org.eclipse.jetty.")) {
                LOG.info("SSE frames are written with write(byte[]) on {}", type.getName());
                return Optional.empty();
            }
            try {
                MethodHandle h = MethodHandles.publicLookup().findVirtual(type, "write",
                        MethodType.methodType(void.class, ByteBuffer.class));
                LOG.info("SSE frames are written with {}.write(ByteBuffer), past the aggregation buffer",
                        type.getName());
                return Optional.of(h.asType(MethodType.methodType(void.class, ServletOutputStream.class,
                        ByteBuffer.class)));
            } catch (NoSuchMethodException | IllegalAccessException e) {
                LOG.info("SSE frames are written with write(byte[]) on {}: {}", type.getName(), e.toString());
                return Optional.empty();
            }
        }
    }
}

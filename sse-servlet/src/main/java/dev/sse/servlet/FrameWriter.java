package dev.sse.servlet;

import dev.sse.core.SseFrame;
import jakarta.servlet.ServletOutputStream;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes frames to a response, past the container's aggregation buffer where the stream allows it.
 *
 * <p>Why: a {@code write(byte[])} smaller than the container's aggregation size is copied into a per-response
 * buffer; Jetty 12 ee10's {@code HttpOutput} takes that buffer (32 KiB, the configured output buffer size) from its
 * pool on the first such write and keeps it until the response ends, which for a stream is its whole life. The
 * Servlet 6.1 {@code ServletOutputStream.write(ByteBuffer)} (which Jetty's {@code HttpOutput} already has) writes
 * without aggregating, so no buffer is held between events. The method is looked up by reflection because this
 * module compiles against Servlet 6.0; streams without it get {@code write(byte[])}. One instance per servlet, so
 * nothing is cached across web applications.
 */
final class FrameWriter {

    private final boolean bypass;
    private final Map<Class<?>, Method> byteBufferWrite = new ConcurrentHashMap<>();

    FrameWriter(boolean bypass) {
        this.bypass = bypass;
    }

    /** @return true if the bytes went out unaggregated, so no flush is needed after them */
    boolean write(ServletOutputStream out, SseFrame frame) throws IOException {
        Method m = method(out);
        if (m == null) {
            frame.writeTo(out);
            return false;
        }
        invoke(m, out, frame.asReadOnlyBuffer());
        return true;
    }

    /** @return true if the bytes went out unaggregated, so no flush is needed after them */
    boolean write(ServletOutputStream out, byte[] bytes, int length) throws IOException {
        Method m = method(out);
        if (m == null) {
            out.write(bytes, 0, length);
            return false;
        }
        invoke(m, out, ByteBuffer.wrap(bytes, 0, length));
        return true;
    }

    private Method method(ServletOutputStream out) {
        if (!bypass) {
            return null;
        }
        Method m = byteBufferWrite.computeIfAbsent(out.getClass(), FrameWriter::lookup);
        return m == NONE ? null : m;
    }

    private static final Method NONE;

    static {
        try {
            NONE = Object.class.getMethod("toString");
        } catch (NoSuchMethodException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static Method lookup(Class<?> type) {
        // Only Jetty's is known to bypass its buffer; Tomcat's copies into its own buffer either way.
        if (!type.getName().startsWith("org.eclipse.jetty.")) {
            return NONE;
        }
        try {
            Method m = type.getMethod("write", ByteBuffer.class);
            return m.getReturnType() == void.class ? m : NONE;
        } catch (NoSuchMethodException | SecurityException e) {
            return NONE;
        }
    }

    private static void invoke(Method m, ServletOutputStream out, ByteBuffer buffer) throws IOException {
        try {
            m.invoke(out, buffer);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException) {
                throw (IOException) cause;
            }
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new IOException(cause);
        } catch (IllegalAccessException e) {
            throw new IOException("cannot call " + m, e);
        }
    }
}

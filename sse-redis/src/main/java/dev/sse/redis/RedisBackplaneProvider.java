package dev.sse.redis;

import dev.sse.core.spi.Backplane;
import dev.sse.core.spi.BackplaneProvider;
import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * Makes a {@link RedisBackplane} from a {@code redis://} or {@code rediss://} URI, for adapters configured by text
 * (the servlet's {@code backplane} init-param); found by {@link java.util.ServiceLoader}. The stream's key is
 * {@code sse:<hub name>}; these query parameters set the rest and are not passed on to Redis:
 *
 * <pre>
 * redis://10.0.0.5:6379?stream=sse:prices&amp;maxLength=50000&amp;maxAge=PT10M&amp;mirrorSize=2000
 *     &amp;commandTimeout=PT2S   (one line)
 * </pre>
 *
 * Other query parameters (Lettuce's {@code timeout}, {@code database}, {@code clientName}) reach the Redis URI.
 */
public final class RedisBackplaneProvider implements BackplaneProvider {

    /** For {@link java.util.ServiceLoader}. */
    public RedisBackplaneProvider() {
    }

    @Override
    public boolean supports(URI uri) {
        String scheme = uri.getScheme();
        if (scheme == null) {
            return false;
        }
        String s = scheme.toLowerCase(Locale.ROOT);
        return s.equals("redis") || s.equals("rediss");
    }

    @Override
    public Backplane create(URI uri, String hubName) {
        if (!supports(uri)) {
            throw new IllegalArgumentException("backplane URI must start with redis:// or rediss:// (was " + uri + ")");
        }
        String stream = "sse:" + hubName;
        Long maxLength = null;
        Duration maxAge = null;
        Integer mirrorSize = null;
        Duration commandTimeout = null;
        StringJoiner rest = new StringJoiner("&");
        String query = uri.getRawQuery();
        if (query != null) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1),
                        java.nio.charset.StandardCharsets.UTF_8);
                switch (name) {
                    case "stream":
                        stream = value;
                        break;
                    case "maxLength":
                        maxLength = number(name, value);
                        break;
                    case "maxAge":
                        maxAge = duration(name, value);
                        break;
                    case "mirrorSize":
                        mirrorSize = (int) Math.min(Integer.MAX_VALUE, number(name, value));
                        break;
                    case "commandTimeout":
                        commandTimeout = duration(name, value);
                        break;
                    default:
                        rest.add(pair);
                }
            }
        }
        String base = uri.toString();
        int q = base.indexOf('?');
        if (q >= 0) {
            base = base.substring(0, q);
        }
        String redisUri = rest.length() == 0 ? base : base + "?" + rest;
        RedisBackplane.Builder b = RedisBackplane.builder(redisUri).streamKey(stream);
        if (maxLength != null) {
            b.maxLength(maxLength);
        }
        if (maxAge != null) {
            b.maxAge(maxAge);
        }
        if (mirrorSize != null) {
            b.mirrorSize(mirrorSize);
        }
        if (commandTimeout != null) {
            b.commandTimeout(commandTimeout);
        }
        return b.build();
    }

    private static long number(String name, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("backplane URI parameter " + name + " must be a whole number (was \""
                    + value + "\")", e);
        }
    }

    private static Duration duration(String name, String value) {
        try {
            return Duration.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("backplane URI parameter " + name
                    + " must be an ISO-8601 duration such as PT10M (was \"" + value + "\")", e);
        }
    }

    @Override
    public String toString() {
        return "RedisBackplaneProvider[redis, rediss]";
    }
}

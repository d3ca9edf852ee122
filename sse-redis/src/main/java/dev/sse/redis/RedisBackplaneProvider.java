package dev.sse.redis;

import dev.sse.core.spi.Backplane;
import dev.sse.core.spi.BackplaneProvider;
import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Makes a {@link RedisBackplane} from a URI, for adapters configured by text (the servlet's {@code backplane}
 * init-param); found by {@link java.util.ServiceLoader}. The forms are those of {@link RedisBackplane#builder(String)}:
 *
 * <pre>
 * redis://10.0.0.5:6379                                  one server (rediss:// for TLS)
 * redis-sentinel://10.0.0.7:26379,10.0.0.8:26379#mymaster  the primary Sentinel names (rediss-sentinel://)
 * redis-cluster://10.0.0.5:7000,10.0.0.6:7000            a Cluster, from any of these seeds (rediss-cluster://)
 * </pre>
 *
 * The stream's key is {@code sse:{<hub name>}} (the braces a Cluster hash tag); these query parameters set the rest
 * and are not passed on to Redis:
 *
 * <pre>
 * redis://10.0.0.5:6379?stream=sse:%7Bprices%7D&amp;maxLength=50000&amp;maxAge=PT10M&amp;mirrorSize=2000
 *     &amp;commandTimeout=PT2S   (one line; a brace in a URI is written %7B and %7D)
 * </pre>
 *
 * Other query parameters (Lettuce's {@code timeout}, {@code database}, {@code clientName}, {@code sentinelMasterId})
 * and the fragment (a Sentinel's master name) reach the Redis URI.
 */
public final class RedisBackplaneProvider implements BackplaneProvider {

    private static final List<String> SCHEMES = List.of("redis", "rediss", "redis-sentinel", "rediss-sentinel",
            "redis-cluster", "rediss-cluster");

    /** For {@link java.util.ServiceLoader}. */
    public RedisBackplaneProvider() {
    }

    @Override
    public Set<String> schemes() {
        return new LinkedHashSet<>(SCHEMES);
    }

    @Override
    public boolean supports(URI uri) {
        String scheme = uri.getScheme();
        if (scheme == null) {
            return false;
        }
        return SCHEMES.contains(scheme.toLowerCase(Locale.ROOT));
    }

    @Override
    public Backplane create(URI uri, String hubName) {
        if (!supports(uri)) {
            throw new IllegalArgumentException("backplane URI must start with one of " + SCHEMES.stream()
                    .map(x -> x + "://").toList() + " (was " + uri + ")");
        }
        String stream = "sse:{" + hubName + "}";
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
        int cut = base.indexOf('?');
        if (cut < 0) {
            cut = base.indexOf('#');
        }
        if (cut >= 0) {
            base = base.substring(0, cut);
        }
        String redisUri = (rest.length() == 0 ? base : base + "?" + rest)
                + (uri.getRawFragment() != null ? "#" + uri.getRawFragment() : "");
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
        return "RedisBackplaneProvider" + SCHEMES;
    }
}

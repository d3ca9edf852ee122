package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.spi.Backplane;
import dev.sse.core.spi.BackplaneProvider;
import dev.sse.core.spi.Backplanes;
import java.net.URI;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class RedisBackplaneProviderTest {

    @Test
    void serviceLoaderFindsTheProviderForRedisSentinelAndClusterSchemesOnly() {
        BackplaneProvider found = null;
        for (BackplaneProvider p : ServiceLoader.load(BackplaneProvider.class)) {
            if (p.supports(URI.create("redis://127.0.0.1:6379"))) {
                found = p;
            }
        }
        assertThat(found).isInstanceOf(RedisBackplaneProvider.class);
        assertThat(found.supports(URI.create("REDISS://h:1"))).isTrue();
        assertThat(found.supports(URI.create("redis-sentinel://h:26379,h2:26379#mymaster"))).isTrue();
        assertThat(found.supports(URI.create("rediss-sentinel://h:26379#mymaster"))).isTrue();
        assertThat(found.supports(URI.create("redis-cluster://h:7000,h2:7000"))).isTrue();
        assertThat(found.supports(URI.create("rediss-cluster://h:7000"))).isTrue();
        assertThat(found.supports(URI.create("http://h:1"))).isFalse();
        assertThat(found.supports(URI.create("/relative"))).isFalse();
    }

    @Test
    void streamKeyIsTheHubNameAsAHashTagUnlessTheUriNamesOne() {
        RedisBackplaneProvider p = new RedisBackplaneProvider();
        Backplane named = p.create(URI.create("redis://127.0.0.1:1"), "prices");
        Backplane given = p.create(URI.create("redis://127.0.0.1:1?stream=sse:x&maxLength=5&maxAge=PT1M"
                + "&mirrorSize=0&commandTimeout=PT1S&timeout=3s"), "prices");
        try {
            assertThat(((RedisBackplane) named).streamKey()).isEqualTo("sse:{prices}");
            assertThat(((RedisBackplane) given).streamKey()).isEqualTo("sse:x");
        } finally {
            named.close();
            given.close();
        }
    }

    @Test
    void sentinelUriKeepsItsMasterNameAfterTheProvidersParametersAreTakenOut() {
        Backplane plane = new RedisBackplaneProvider().create(
                URI.create("redis-sentinel://127.0.0.1:1,127.0.0.1:2?stream=sse:%7Bx%7D&commandTimeout=PT1S#mymaster"),
                "prices");
        try {
            assertThat(((RedisBackplane) plane).streamKey()).isEqualTo("sse:{x}");
            assertThat(plane.toString()).contains("Sentinel master mymaster via 127.0.0.1:1,127.0.0.1:2");
        } finally {
            plane.close();
        }
    }

    @Test
    void clusterUriNamesEverySeed() {
        Backplane plane = new RedisBackplaneProvider().create(URI.create("redis-cluster://127.0.0.1:1,127.0.0.1:2"),
                "prices");
        try {
            assertThat(plane.toString()).contains("sse:{prices}").contains("Redis Cluster via 127.0.0.1:1,127.0.0.1:2");
        } finally {
            plane.close();
        }
    }

    @Test
    void badParametersAreRefusedNamingThem() {
        RedisBackplaneProvider p = new RedisBackplaneProvider();
        assertThatThrownBy(() -> p.create(URI.create("redis://h:1?maxLength=lots"), "e"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxLength");
        assertThatThrownBy(() -> p.create(URI.create("redis://h:1?maxLength=0"), "e"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxLength");
        assertThatThrownBy(() -> p.create(URI.create("redis://h:1?maxAge=10"), "e"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAge");
        assertThatThrownBy(() -> p.create(URI.create("http://h:1"), "e"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis://")
                .hasMessageContaining("redis-sentinel://").hasMessageContaining("redis-cluster://");
        assertThatThrownBy(() -> p.create(URI.create("redis-cluster:///?maxLength=5"), "e"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one cluster node");
    }

    @Test
    void backplaneLookupFindsRedisByUriAndNamesItsSchemesForAnUnknownOne() {
        assertThat(Backplanes.forUri(URI.create("redis-sentinel://127.0.0.1:26379#primary")))
                .isInstanceOf(RedisBackplaneProvider.class);
        assertThatThrownBy(() -> Backplanes.forUri(URI.create("memcached://127.0.0.1:11211")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memcached")
                .hasMessageContaining("redis-sentinel").hasMessageContaining("redis-cluster");
    }
}

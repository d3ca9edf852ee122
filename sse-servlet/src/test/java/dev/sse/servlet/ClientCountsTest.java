package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Proxy;
import java.security.Principal;
import org.junit.jupiter.api.Test;

class ClientCountsTest {

    /** A request with only what the key needs. */
    private static HttpServletRequest request(String user, String address) {
        Principal principal = user == null ? null : () -> user;
        return (HttpServletRequest) Proxy.newProxyInstance(ClientCountsTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getUserPrincipal" -> principal;
                    case "getRemoteAddr" -> address;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void usersBehindOneAddressAreCountedApartByTheirPrincipal() {
        ClientCounts counts = new ClientCounts(1);
        assertThat(counts.tryEnter(ClientCounts.key(request("ann", "10.0.0.1")))).isTrue();
        assertThat(counts.tryEnter(ClientCounts.key(request("bob", "10.0.0.1")))).isTrue();
        assertThat(counts.tryEnter(ClientCounts.key(request("ann", "10.0.0.2")))).as("ann from elsewhere").isFalse();
        assertThat(counts.tryEnter(ClientCounts.key(request(null, "10.0.0.1")))).as("anonymous on that address").isTrue();
    }

    @Test
    void aUserNamedLikeAnAddressDoesNotShareThatAddresssCount() {
        assertThat(ClientCounts.key(request("10.0.0.1", "10.0.0.9")))
                .isNotEqualTo(ClientCounts.key(request(null, "10.0.0.1")));
    }

    @Test
    void countsAreExactAndAClientWithNoStreamLeavesNoEntry() {
        ClientCounts counts = new ClientCounts(2);
        assertThat(counts.tryEnter("addr:a")).isTrue();
        assertThat(counts.tryEnter("addr:a")).isTrue();
        assertThat(counts.tryEnter("addr:a")).isFalse();
        assertThat(counts.count("addr:a")).isEqualTo(2);
        counts.exit("addr:a");
        assertThat(counts.tryEnter("addr:a")).isTrue();
        counts.exit("addr:a");
        counts.exit("addr:a");
        assertThat(counts.count("addr:a")).isZero();
    }
}

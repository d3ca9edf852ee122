package dev.sse.webflux;

import dev.sse.tck.AdapterContractTest;
import dev.sse.tck.AdapterFixture;

/** The whole adapter kit on sse-webflux, on a real Reactor Netty server. */
class WebFluxAdapterContractTest extends AdapterContractTest {

    @Override
    protected AdapterFixture fixture() {
        return new WebFluxTckFixture();
    }
}

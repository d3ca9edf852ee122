/**
 * The adapter test kit: {@link dev.sse.tck.AdapterContractTest} is the contract every server runtime adapter of
 * dev.sse keeps, checked over a real socket; an adapter supplies an {@link dev.sse.tck.AdapterFixture} that serves a
 * {@link dev.sse.tck.TckApp}.
 */
package dev.sse.tck;

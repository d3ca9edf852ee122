/**
 * The HTTP rules of an SSE endpoint, independent of any server runtime: how a stream request and a publish request
 * are judged and what each refusal answers, byte for byte. An adapter (the servlet, WebFlux, Vert.x) wraps its request
 * in a {@link dev.sse.core.http.RequestView}, asks a rule object for a {@link dev.sse.core.http.Decision}, and writes
 * the {@link dev.sse.core.http.HttpAnswer} it gets back as it is: status, headers in order, body bytes. Nothing here
 * does I/O, holds a lock or keeps a thread; every type is immutable and safe on any thread.
 */
package dev.sse.core.http;

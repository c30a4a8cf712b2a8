import ArgumentParser
import BeianCore
import BeianHomepages
import Foundation
import NIOCore
import NIOPosix

/// `beian-datagen serve`: the world's web sites on loopback, for crawler tests and benchmarks.
/// It answers as an HTTP proxy would (absolute-form requests) and as an origin (Host header),
/// with the responses recorded in a WARC file (the generator's homepages); a bare domain whose
/// `www.` name has a page is redirected there; CONNECT is refused (no TLS here), so crawlers
/// fall back to HTTP; anything else is 404.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the responses of a WARC file on loopback (an HTTP proxy and origin for crawler tests).")

    @Option(help: "The WARC file whose responses are served (e.g. homepages/homepages.warc.gz).")
    var warc: String

    @Option(help: "The port (0: any free one; the port is printed).")
    var port = 0

    @Option(help: "Event loop threads.")
    var threads = 2

    func run() throws {
        // A parent may have left SIGTERM ignored (dispositions survive exec): stop on it.
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
        let site = try Site(warc: warc)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SiteHandler(site: site))
                }
            }
        let channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
        FileHandle.standardOutput.write(
            Data("listening on 127.0.0.1:\(channel.localAddress?.port ?? 0), \(site.responses.count) responses\n".utf8))
        try channel.closeFuture.wait()
    }
}

/// The responses to serve, by host and path.
final class Site: Sendable {
    let responses: [String: [UInt8]]

    init(warc: String) throws {
        let reader = try WARCReader(path: warc)
        var responses: [String: [UInt8]] = [:]
        while let record = try reader.next() {
            guard record.type == "response", let uri = record.targetURI, let url = URLParts(uri) else { continue }
            // Keep connections open: the recorded `Connection: close` is dropped.
            var block = record.block
            if let range = block.firstRange(of: Array("Connection: close\r\n".utf8)) { block.removeSubrange(range) }
            responses[url.host + url.path] = block
        }
        self.responses = responses
    }

    func response(host: String, path: String) -> [UInt8] {
        if let known = responses[host + path] { return known }
        if responses["www." + host + path] != nil {
            return Array("HTTP/1.1 301 Moved Permanently\r\nLocation: http://www.\(host)\(path)\r\nContent-Length: 0\r\n\r\n".utf8)
        }
        return Array("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nnot found\n".utf8)
    }
}

/// One connection: requests in origin or absolute form, or a CONNECT tunnel to port 80 whose
/// requests are then served for the tunnel's host. Requests are read by hand (GET and CONNECT
/// heads, no bodies): a tunnel turns the same byte stream into requests again, which a
/// decoder made for one request kind cannot follow.
final class SiteHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let site: Site
    /// The host of the CONNECT tunnel this connection became, if it did.
    var tunnel: String?
    var pending: [UInt8] = []
    /// Largest request head read.
    static let maximumHead = 16 << 10

    init(site: Site) {
        self.site = site
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        while let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
            let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
            pending.removeSubrange(..<end.upperBound)
            respond(to: head, context: context)
        }
        if pending.count > Self.maximumHead { context.close(promise: nil) }
    }

    func respond(to head: String, context: ChannelHandlerContext) {
        let lines = head.split(separator: "\r\n")
        let words = lines.first?.split(separator: " ") ?? []
        guard words.count >= 2 else {
            context.close(promise: nil)
            return
        }
        let method = words[0]
        let target = String(words[1])
        if method == "CONNECT" {
            // Port 80 is tunnelled (plain HTTP follows); TLS is not served here: refused.
            let parts = target.split(separator: ":")
            if parts.count == 2, parts[1] == "80" {
                tunnel = parts[0].lowercased()
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")), promise: nil)
            } else {
                let refusal = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                context.write(wrapOutboundOut(ByteBuffer(string: refusal)), promise: nil)
                context.flush()
                context.close(promise: nil)
            }
            return
        }
        var host = tunnel ?? ""
        var path = target
        if let url = URLParts(target) {
            host = url.host
            path = url.path
        } else if tunnel == nil, let line = lines.first(where: { $0.lowercased().hasPrefix("host:") }) {
            host = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
        }
        if let colon = host.lastIndex(of: ":") { host = String(host[..<colon]) }
        let bytes = site.response(host: host.lowercased(), path: path)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

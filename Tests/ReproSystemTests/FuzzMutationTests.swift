import Foundation
import Testing
import ReproFuzzTargets

/// The fuzz targets of `make fuzz` (Sources/ReproFuzzTargets) run briefly on every test run:
/// each committed seed and regression input as it is, then mutations of the seeds from a fixed
/// random seed (bit flips, interesting bytes, integer edge values written over length fields and
/// over decimal numbers, truncation, deletion, duplication and splices of two seeds).
///
/// A target traps on a finding, so a finding ends the test process. To replay one, run with
/// REPRO_FUZZ_SAVE=DIR: each input is written to DIR/TARGET before it runs, and the sequence is
/// the same on every run (REPRO_FUZZ_SEED, REPRO_FUZZ_TEST_SECONDS and REPRO_FUZZ_ITERATIONS
/// change it).
@Suite struct FuzzMutationTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fuzz").path

    /// The files of fuzz/corpus/TARGET (seeds) or fuzz/regressions/TARGET (inputs a fuzzer found).
    static func inputs(_ kind: String, _ target: String) -> [(name: String, data: Data)] {
        let directory = fuzzDirectory + "/" + kind + "/" + target
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        return names.compactMap { name in
            FileManager.default.contents(atPath: directory + "/" + name).map { (name, $0) }
        }
    }

    static let environment = ProcessInfo.processInfo.environment
    static let seconds = Double(environment["REPRO_FUZZ_TEST_SECONDS"] ?? "") ?? 2
    static let iterations = Int(environment["REPRO_FUZZ_ITERATIONS"] ?? "") ?? 20_000
    static let seed = UInt64(environment["REPRO_FUZZ_SEED"] ?? "") ?? 0x5EED_F0CC

    @Test("every target has seeds", arguments: FuzzTargets.all.map(\.name))
    func seeded(_ target: String) {
        #expect(!Self.inputs("corpus", target).isEmpty, "fuzz/corpus/\(target) holds no seed")
    }

    @Test("committed seeds and regression inputs", arguments: FuzzTargets.all.map(\.name))
    func committed(_ target: String) throws {
        let run = try #require(FuzzTargets.named(target)).run
        for (_, data) in Self.inputs("corpus", target) + Self.inputs("regressions", target) { run(data) }
    }

    @Test("seeded mutations", arguments: FuzzTargets.all.map(\.name))
    func mutations(_ target: String) throws {
        let run = try #require(FuzzTargets.named(target)).run
        let seeds = Self.inputs("corpus", target).map { [UInt8]($0.data) }
        try #require(!seeds.isEmpty)
        var rng = SplitMix64(
            seed: Self.seed ^ target.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 })
        let save = Self.environment["REPRO_FUZZ_SAVE"].map { $0 + "/" + target }
        let end = ContinuousClock.now + .milliseconds(Int64(Self.seconds * 1000))
        var count = 0
        while count < Self.iterations, ContinuousClock.now < end {
            var input = seeds[rng.below(seeds.count)]
            for _ in 0...rng.below(4) { Mutator.mutate(&input, seeds: seeds, rng: &rng) }
            if let save { FileManager.default.createFile(atPath: save, contents: Data(input)) }
            run(Data(input))
            count += 1
        }
        #expect(count > 0)
    }
}

/// SplitMix64: a small, fast generator whose sequence is fixed by its seed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<n` (0 when `n` is 0).
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}

/// One random change to an input.
enum Mutator {
    /// Values that break length and count fields: 0, 1, the signed and unsigned limits.
    static let edgeIntegers: [UInt64] = [
        0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000,
        0xFFFF_FFFF, 0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, .max,
    ]
    /// The same as decimal text, for numbers in text formats.
    static let edgeNumbers = [
        "0", "-0", "1", "-1", "255", "256", "4294967295", "4294967296", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "1e309", "0x7fffffffffffffff", "1_000",
    ]
    /// Bytes that mean something to one of the parsers.
    static let interestingBytes: [UInt8] = [
        0x00, 0x0A, 0x20, 0x22, 0x2F, 0x5C, 0x7F, 0x80, 0xC0, 0xFF,
        UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: "="), UInt8(ascii: "."),
    ]

    static func mutate(_ input: inout [UInt8], seeds: [[UInt8]], rng: inout SplitMix64) {
        let n = input.count
        switch rng.below(9) {
        case 0 where n > 0:  // flip a few bits
            for _ in 0...rng.below(8) { input[rng.below(n)] ^= 1 << UInt8(rng.below(8)) }
        case 1 where n > 0:  // an interesting byte
            input[rng.below(n)] = interestingBytes[rng.below(interestingBytes.count)]
        case 2 where n > 0:  // an edge integer over 1, 2, 4 or 8 bytes, either byte order
            let width = [1, 2, 4, 8][rng.below(4)]
            let at = rng.below(n)
            var value = edgeIntegers[rng.below(edgeIntegers.count)]
            if rng.below(2) == 0 { value = value.byteSwapped >> UInt64(64 - 8 * width) }
            for k in 0..<width where at + k < n { input[at + k] = UInt8(truncatingIfNeeded: value >> UInt64(8 * k)) }
        case 3:  // a decimal number replaced by an edge value
            let digits = input.indices.filter { input[$0] >= 0x30 && input[$0] <= 0x39 }
            guard !digits.isEmpty else { return }
            let start = digits[rng.below(digits.count)]
            var end = start
            while end < n, input[end] >= 0x30, input[end] <= 0x39 { end += 1 }
            input.replaceSubrange(start..<end, with: Array(edgeNumbers[rng.below(edgeNumbers.count)].utf8))
        case 4:  // truncate
            input.removeSubrange(rng.below(n + 1)..<n)
        case 5 where n > 0:  // delete a chunk
            let start = rng.below(n)
            input.removeSubrange(start..<min(n, start + 1 + rng.below(64)))
        case 6 where n > 0:  // duplicate a chunk, sometimes many times
            let start = rng.below(n)
            let chunk = Array(input[start..<min(n, start + 1 + rng.below(32))])
            let times = rng.below(4) == 0 ? 1 + rng.below(200) : 1
            input.insert(contentsOf: Array([[UInt8]](repeating: chunk, count: times).joined()), at: rng.below(n + 1))
        case 7:  // splice: this input's head, another seed's tail
            let other = seeds[rng.below(seeds.count)]
            input = Array(input.prefix(rng.below(n + 1))) + other.suffix(rng.below(other.count + 1))
        default:  // random bytes inserted
            let bytes = (0..<(1 + rng.below(16))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            input.insert(contentsOf: bytes, at: rng.below(n + 1))
        }
    }
}

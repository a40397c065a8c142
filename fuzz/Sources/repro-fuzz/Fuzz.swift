import Foundation
import ReproFuzzTargets

/// The target this process fuzzes, from REPRO_FUZZ_TARGET (set before libFuzzer's first input).
nonisolated(unsafe) private var selected: FuzzTargets.Target?

/// libFuzzer's start-up hook: picks the target named by REPRO_FUZZ_TARGET.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    let names = FuzzTargets.all.map(\.name).joined(separator: " ")
    guard let name = ProcessInfo.processInfo.environment["REPRO_FUZZ_TARGET"] else {
        FileHandle.standardError.write(Data("set REPRO_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    guard let target = FuzzTargets.named(name) else {
        FileHandle.standardError.write(Data("no fuzz target \(name); the targets are: \(names)\n".utf8))
        exit(2)
    }
    selected = target
    return 0
}

/// libFuzzer's entry point: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    selected!.run(data)
    return 0
}

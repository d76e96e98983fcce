// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "ipc",
  products: [
    .executable(name: "ipc", targets: ["ipc"]),
    .library(name: "IPCKit", targets: ["IPCKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
  ],
  targets: [
    // Only what Swift cannot import: variadic calls, macros, signal handlers.
    .target(name: "CIPCShims"),
    .target(
      name: "IPCKit",
      dependencies: [
        "CIPCShims",
        .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    .executableTarget(
      name: "ipc",
      dependencies: [
        "IPCKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "IPCKitTests", dependencies: ["IPCKit"]),
    .testTarget(name: "ipcTests", dependencies: ["ipc", "IPCKit"]),
  ]
)

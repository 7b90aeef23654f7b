module slipway.example/drone-delivery/package

go 1.19

module slipway.example/drone-delivery/delivery

go 1.19

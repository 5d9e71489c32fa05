Geolife trajectory
WGS 84
Altitude is in Feet
Reserved 3
0,2,255,My Track,0,0,2,8421376
0
33.3,113.56,0,492,45352.0,2024-03-01,00:00:00
33.3,113.56,0,492

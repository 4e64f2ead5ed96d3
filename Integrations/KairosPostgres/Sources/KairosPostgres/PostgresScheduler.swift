import Kairos
import PostgresNIO
